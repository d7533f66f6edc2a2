// Package keystore keeps pbiwb's saved accounts: the non-secret fields in
// accounts.json under home.Dirs.Config, the secrets (Azure client secret,
// Azure AD password, Domo client secret, MSAL token cache) only in the OS
// keyring through go-keyring — or, when the user explicitly asks for
// --insecure-storage, in a 0600 file beside accounts.json. It knows nothing of
// Power BI: an account is a name, a few identifiers and up to six secrets.
//
// # Secrets in the keyring
//
// Every account has its own keyring service: "pbiwb:<name in lower case>" in
// the default home, "pbiwb:home-<hash of the home>:<name>" in any other
// (--home), since one keyring serves every home of a user (service.go says how
// accounts saved before homes were told apart are taken over). Names are in
// lower case because Windows Credential Manager compares target names without
// regard to case. Each service has one item per secret kind ("client-secret",
// "password", "domo-client-secret", "token-cache", "certificate",
// "certificate-password"). Every keyring call runs under a
// timeout (DefaultTimeout, ProbeTimeout for Probe): go-keyring can block for
// 25–120 s while D-Bus activates a Secret Service, or forever on an unanswered
// unlock prompt. A keyring that fails or does not answer yields an error that
// matches ErrNoKeyring and names the fix for the running OS and the explicit
// alternative, --insecure-storage.
//
// # Values larger than one keyring item
//
// Windows refuses items over 2,560 bytes and macOS' security(1) command line
// caps an item at about 3,000 bytes, while an MSAL token cache is 6–9 KB per
// user. Values longer than ChunkSize (2,400 bytes, under both limits with room
// for the longest service and key names) are split into items "<kind>#0" …
// "<kind>#n-1" and the item "<kind>" holds a manifest naming the count and the
// SHA-256 of the whole value. We chose chunks over an AES-GCM file whose key
// lives in the keyring because chunks keep the contract's promise literally
// (secrets only in the keyring), leave no second file to keep in step with its
// key or to forget on removal, and use the same code path for every secret on
// every OS (Linux has no limit, but chunks there too, so the Secret Service
// tests exercise the same path Windows and macOS take). The price is a few more
// keyring round trips (about 13 ms each with gnome-keyring) for the token cache.
// Chunks are written first and the manifest last, so a reader sees the old
// value or the new one; a torn write (crash, or a reader racing a writer) fails
// the checksum, and the reader retries once under the lock.
//
// # Concurrency
//
// Two pbiwb processes may save at once (the wizard and a scheduled push
// refreshing its token). Every change — accounts.json and secrets alike — runs
// under an exclusive lock on accounts.lock in the config directory (flock on
// Unix, LockFileEx on Windows; the OS drops it if the process dies), re-reads
// accounts.json inside the lock, and replaces the file atomically (temp file +
// rename), so readers, which take no lock, always see a whole file.
//
// # Use
//
//	s := keystore.Open(dirs, keystore.DefaultBackend())     // or NewFileBackend(dirs) for --insecure-storage
//	if err := keystore.Probe(ctx, s.Backend()); err != nil { ... } // before asking for secrets; matches ErrNoKeyring
//	a, err := s.Save(ctx, acct, keystore.Secrets{keystore.ClientSecret: v, keystore.Password: p})
//	v, err := s.Secret(ctx, "demo", keystore.Password)        // errors.Is(err, ErrNotFound) when none
//	tc := s.TokenCache("demo")                                // Load/Save for MSAL's ExportReplace
//	found, err := s.Remove(ctx, "demo")                       // every secret and chunk, then the entry
//
// Save: a kind present in Secrets is set (deleted when empty), a kind absent
// is kept; a new account (or one moved to another storage) starts with only
// the secrets given, and a changed sign-in identity drops the token cache.
// Accounts remember their Storage, so an account saved with
// --insecure-storage is read from the file later without the flag; the
// caller prints InsecureWarning whenever Account.Insecure().
//
// Remove deletes the secrets first and the entry last: if the keyring fails
// half-way the entry is kept and the *RemoveError lists what is left, so
// running Remove again finishes the job rather than orphaning secrets.
package keystore
