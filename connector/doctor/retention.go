package doctor

import (
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
)

// retentionPolicy is a dataset's retention policy as far as it is known:
// what Power BI says (its swagger's Dataset has none), else what the home
// remembers of a dataset pbiwb created there; "" when unknown.
func (d *Doctor) retentionPolicy(ds *powerbi.Dataset) string {
	if ds.DefaultRetentionPolicy != "" || d.cfg.Home == nil {
		return ds.DefaultRetentionPolicy
	}
	if r, ok := push.RememberedRetention(*d.cfg.Home, d.cfg.Endpoints.APIBase, ds.ID); ok {
		return string(r)
	}
	return ""
}
