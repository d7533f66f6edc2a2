package doctor

// Checks of what the tenant and the service decide beyond one account: the
// tenant setting that lets service principals use the Power BI APIs, and the
// end of push-dataset creation (docs/limits.md).

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/format"
)

// spSetting names the tenant setting as the admin portal shows it now and
// as it was called before (docs/sources.md, Power BI: scopes).
const spSetting = `"Service principals can use Fabric APIs" (formerly "Allow service principals to use Power BI APIs")`

// checkServicePrincipalAPIs asks Power BI one question as the service
// principal: with the tenant setting off, the service answers every call with
// a bare 401, whatever the workspace. A user passes: the setting concerns
// service principals only.
func (d *Doctor) checkServicePrincipalAPIs(ctx context.Context) Result {
	if d.session == nil || d.session.Method() != entra.MethodServicePrincipal {
		return pass("signed in as a user: the tenant setting for service principals does not apply")
	}
	if d.client == nil {
		d.client = powerbi.New(d.cfg.Endpoints, d.session)
	}
	_, err := d.client.Groups(ctx, "")
	var pe *powerbi.Error
	switch {
	case err == nil:
		return pass("Power BI answers the service principal: the tenant setting " + spSetting + " includes it")
	case errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Code == powerbi.CodeNotAuthorized):
		found := fmt.Sprintf("Power BI refuses the service principal on every call (%d %s)", pe.Status, pe.Code)
		if pe.RequestID != "" {
			found += ", RequestId " + pe.RequestID
		}
		return fail(found,
			"A Fabric administrator enables Admin portal › Tenant settings › Developer settings › "+spSetting+
				" for the whole organization or for a security group that contains this app, then waits a few minutes for it to take effect. "+
				"Then add the app to the workspace as Member or Admin (workspace › Manage access). "+
				"Or sign in as a user ("+d.face().Setting(field.AuthMethod, "password")+" or "+d.face().Setting(field.AuthMethod, "device-code")+").")
	}
	return d.powerbiFailure("listing workspaces as the service principal", err)
}

// checkCreation says what the end of push-dataset creation means for the
// target dataset, on the machine's calendar: an existing dataset keeps taking
// rows; one that does not exist yet can be created only until
// powerbi.PushCreationLastDay, and after that the check fails.
func (d *Doctor) checkCreation(context.Context) Result {
	now := d.cfg.Now()
	last := powerbi.PushCreationLastDay
	keep := "if it is deleted after " + last + ", it cannot be created again (pbiwb's replace mode deletes rows, never the dataset)"
	if d.dataset != nil {
		r := pass(fmt.Sprintf("dataset %q exists: writing into it goes on after Power BI stops creating push datasets (after %s)", d.dataset.Name, last))
		if powerbi.CreationNotice(now, d.face()) != "" {
			r.Details = []string{keep}
		}
		return r
	}
	name := d.cfg.Dataset
	if powerbi.CreationEnded(now) {
		return fail(fmt.Sprintf("dataset %q does not exist, and Power BI stopped creating push datasets after %s: a push would be refused", name, last),
			"Write into an existing push dataset: give "+d.face().Name(field.Dataset)+" the name of one (`pbiwb datasets` lists them, with their tables). "+
				"For new real-time data, Microsoft's path is Real-Time Intelligence in Microsoft Fabric.")
	}
	if powerbi.CreationNotice(now, d.face()) != "" {
		return pass(fmt.Sprintf("dataset %q does not exist yet: pbiwb push creates it; Power BI creates push datasets only until %s (%s left)",
			name, last, format.Count(powerbi.CreationDaysLeft(now), "day")), keep)
	}
	return pass(fmt.Sprintf("dataset %q does not exist yet: pbiwb push creates it (Power BI creates push datasets until %s)", name, last))
}
