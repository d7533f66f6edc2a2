package push

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/pbiwb/pbiwb/atomicfile"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/home"
)

// Power BI does not say a push dataset's retention: the swagger's Dataset
// has no defaultRetentionPolicy (docs/sources.md). pbiwb knows it for the
// datasets it created, and remembers it in the home, one small file per
// dataset beside the checkpoints (home.Dirs.Datasets); for any other
// dataset it is unknown unless --retention fifo says so.

// Where a target's retention comes from.
const (
	retentionCreated = "created"  // pbiwb created the dataset (remembered in the home)
	retentionService = "service"  // Power BI reported it
	retentionGiven   = "given"    // --retention fifo says so
	retentionUnknown = "unknown"  // none of these: it may be FIFO
	retentionNew     = "this run" // the dataset is created by this push
)

// knownDataset is what the home keeps of a dataset pbiwb created.
type knownDataset struct {
	APIBase   string           `json:"apiBase"`
	DatasetID string           `json:"datasetId"`
	Name      string           `json:"name"`
	Retention schema.Retention `json:"retention"`
	Created   time.Time        `json:"created"`
}

func knownDatasetPath(dirs home.Dirs, apiBase, datasetID string) string {
	sum := sha256.Sum256([]byte(apiBase + "\n" + datasetID))
	return filepath.Join(dirs.Datasets(), hex.EncodeToString(sum[:12])+".json")
}

// rememberRetention records the retention of a dataset this push created.
// The push goes on without it (the record helps later runs): the error is
// for the caller to say.
func rememberRetention(dirs home.Dirs, k knownDataset) error {
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	return atomicfile.Write(knownDatasetPath(dirs, k.APIBase, k.DatasetID), b)
}

// RememberedRetention is the retention pbiwb gave a dataset it created, as
// the home dirs remembers it; ok is false for any other dataset (Power BI
// does not say a dataset's retention).
func RememberedRetention(dirs home.Dirs, apiBase, datasetID string) (schema.Retention, bool) {
	b, err := os.ReadFile(knownDatasetPath(dirs, apiBase, datasetID))
	if err != nil {
		return "", false
	}
	var k knownDataset
	if json.Unmarshal(b, &k) != nil || k.DatasetID != datasetID || k.APIBase != apiBase {
		return "", false
	}
	return k.Retention, k.Retention == schema.RetentionFIFO || k.Retention == schema.RetentionNone
}
