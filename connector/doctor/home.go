package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/home"
)

// checkHome makes sure a push can keep its checkpoint and history (a push
// refuses to start without them, before it writes anything).
func (d *Doctor) checkHome(ctx context.Context) Result {
	dirs := *d.cfg.Home
	err := dirs.CheckWritable()
	if err == nil {
		return pass(fmt.Sprintf("%s is writable (checkpoints in %s, history in %s)", dirs.State, dirs.Checkpoints(), dirs.History()))
	}
	dir, why := dirs.State, err
	var ue *home.UnwritableError
	if errors.As(err, &ue) {
		dir = ue.Dir
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		why = pe.Err
	}
	return fail(fmt.Sprintf("a push cannot keep its checkpoint and history under %s (%v), so it would refuse to run", dir, why),
		"Make "+dir+" a directory your user can write to, or choose another home with "+d.face().Name(field.Home)+" "+
			"for doctor and for every push.")
}
