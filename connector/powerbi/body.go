package powerbi

import (
	"bytes"
	"io"
	"sync"
)

// requestBody hands a request body to net/http and tells when net/http is
// done with it. The transport may go on reading a body after Do returns (an
// early answer such as a 429, a dropped connection), so a caller that reuses
// its buffer for the next batch must first wait for every reader handed out —
// one per attempt, redirects included — to be closed, which the transport
// always does (http.RoundTripper's contract).
type requestBody struct {
	data []byte
	open sync.WaitGroup
}

func newRequestBody(data []byte) *requestBody { return &requestBody{data: data} }

// reader returns a fresh reader of the whole body (also for req.GetBody).
func (b *requestBody) reader() (io.ReadCloser, error) {
	b.open.Add(1)
	return &trackedReader{Reader: bytes.NewReader(b.data), done: b.open.Done}, nil
}

// wait blocks until net/http has closed every reader.
func (b *requestBody) wait() { b.open.Wait() }

type trackedReader struct {
	*bytes.Reader
	once sync.Once
	done func()
}

func (r *trackedReader) Close() error {
	r.once.Do(r.done)
	return nil
}
