package push

import "github.com/pbiwb/pbiwb/connector/push/internal/checkpoint"

// Target is where a push writes, as its checkpoint is keyed.
type Target = checkpoint.Target

// CheckpointKey names a checkpoint: the same input into the same target.
type CheckpointKey = checkpoint.Key

// CheckpointExists says whether an interrupted push of this input into this
// target left a checkpoint: a run without --resume should say so (in append
// mode, starting over would write again the rows the interrupted run wrote).
func CheckpointExists(dir string, key CheckpointKey) bool { return checkpoint.Exists(dir, key) }
