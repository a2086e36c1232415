package grafanadouble

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"

	"github.com/go-openapi/strfmt"
	"github.com/grafana/grafana-openapi-client-go/models"
)

func (s *Server) unhandled(r *http.Request) reply {
	s.problems = append(s.problems, fmt.Sprintf("%s %s: not implemented by the double", r.Method, r.URL.Path))
	return msg(404, "Not found")
}

func (s *Server) problem(r *http.Request, format string, args ...any) reply {
	m := fmt.Sprintf(format, args...)
	s.problems = append(s.problems, fmt.Sprintf("%s %s: %s", r.Method, r.URL.Path, m))
	return msg(400, "%s", m)
}

// decode reads r's body strictly into v (a grafana-openapi-client-go model) and validates it.
func (s *Server) decode(r *http.Request, v interface {
	Validate(strfmt.Registry) error
}) (reply, bool) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return s.problem(r, "read body: %v", err), false
	}
	// encoding/json matches keys case-insensitively; Grafana's decoder does not: check the
	// top-level keys exactly against the model's JSON names first.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &keys); err != nil {
		return s.problem(r, "body is not a JSON object: %v", err), false
	}
	names := jsonNames(reflect.TypeOf(v).Elem())
	for k := range keys {
		if !names[k] {
			return s.problem(r, "body does not decode strictly into %T: unknown field %q", v, k), false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return s.problem(r, "body does not decode strictly into %T: %v", v, err), false
	}
	if err := v.Validate(strfmt.Default); err != nil {
		return s.problem(r, "%T does not validate: %v", v, err), false
	}
	return reply{}, true
}

// jsonNames returns the JSON names of struct type t's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			names[name] = true
		}
	}
	return names
}

func (s *Server) orgIDs() []int64 {
	var ids []int64
	for id := range s.orgs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func sortedTeamIDs(o *org) []int64 {
	var ids []int64
	for id := range o.teams {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

func count(conds ...bool) int {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	return n
}

func validRole(r string) bool { return r == "Viewer" || r == "Editor" || r == "Admin" || r == "None" }

func permissionName(p models.PermissionType) string {
	switch p {
	case 1:
		return "View"
	case 2:
		return "Edit"
	case 4:
		return "Admin"
	}
	return ""
}

// secureFields merges new secure values into old ones (Grafana keeps a secure field that an
// update does not mention) and reports which are set.
func secureFields(old, upd map[string]string) (map[string]string, map[string]bool) {
	out := map[string]string{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range upd {
		out[k] = v
	}
	set := map[string]bool{}
	for k := range out {
		set[k] = true
	}
	return out, set
}

func slugOf(m map[string]any) string {
	t, _ := m["title"].(string)
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r - 'A' + 'a'
		}
		return '-'
	}, t), "-")
}

func copyJSON(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}
