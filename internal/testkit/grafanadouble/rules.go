package grafanadouble

import (
	"net/http"

	"github.com/grafana/grafana-openapi-client-go/models"
)

// ruleGroup answers GET and PUT of a rule group as Grafana's provisioning API does: PUT replaces
// the group's rules (a rule's id stays with its uid), in a folder that exists, with queries on
// datasources of the organization (or expressions), and rule uids unique in the organization.
func (s *Server) ruleGroup(r *http.Request, o *org, folderUID, title string) reply {
	key := folderUID + "/" + title
	if r.Method == http.MethodGet {
		g := o.ruleGroups[key]
		if g == nil {
			return msg(404, "rule group does not exist")
		}
		return reply{200, g}
	}
	if o.folders[folderUID] == nil {
		return msg(404, "folder does not exist")
	}
	var g models.AlertRuleGroup
	if bad, ok := s.decode(r, &g); !ok {
		return bad
	}
	if g.Interval <= 0 || g.Interval%10 != 0 {
		return s.problem(r, "interval %d: must be a positive multiple of 10 s", g.Interval)
	}
	ids := map[string]int64{}
	if old := o.ruleGroups[key]; old != nil {
		for _, x := range old.Rules {
			ids[x.UID] = x.ID
		}
	}
	for _, x := range g.Rules {
		if x.UID == "" || *x.FolderUID != folderUID || *x.RuleGroup != title || *x.OrgID != o.id {
			return s.problem(r, "rule %q: needs a uid, this folder, this group and this organization", x.UID)
		}
		for k, other := range o.ruleGroups {
			for _, y := range other.Rules {
				if k != key && y.UID == x.UID {
					return msg(409, "rule uid %s is used in another group", x.UID)
				}
			}
		}
		refs := map[string]bool{}
		for _, q := range x.Data {
			refs[q.RefID] = true
			if q.DatasourceUID != "__expr__" && o.datasources[q.DatasourceUID] == nil {
				return msg(400, "rule %s: data source %s not found", x.UID, q.DatasourceUID)
			}
		}
		if !refs[*x.Condition] {
			return s.problem(r, "rule %s: condition %s is not one of its queries", x.UID, *x.Condition)
		}
		if ids[x.UID] == 0 {
			ids[x.UID] = s.id()
		}
		x.ID, x.Provenance = ids[x.UID], "api"
	}
	g.FolderUID, g.Title = folderUID, title
	o.ruleGroups[key] = &g
	s.writes++
	return reply{200, g}
}

// RuleGroup returns rule group title of folder folderUID in organization orgID.
func (s *Server) RuleGroup(orgID int64, folderUID, title string) (models.AlertRuleGroup, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orgs[orgID]; o != nil && o.ruleGroups[folderUID+"/"+title] != nil {
		return *o.ruleGroups[folderUID+"/"+title], true
	}
	return models.AlertRuleGroup{}, false
}
