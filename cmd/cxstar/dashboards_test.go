package main

import (
	"reflect"
	"testing"

	"github.com/cxstar/cxstar/dashboards"
)

func TestParseAgencies(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []dashboards.Agency
		wantErr bool
	}{
		{"", nil, false},
		{"mvd", []dashboards.Agency{{ID: "mvd"}}, false},
		{" mvd=МВД России , fns.77,mvd=again ", []dashboards.Agency{{ID: "mvd", Name: "МВД России"}, {ID: "fns.77"}}, false},
		{"MVD", nil, true},
		{"a'b", nil, true},
	} {
		got, err := parseAgencies(c.in)
		if (err != nil) != c.wantErr || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseAgencies(%q) = %+v, %v; want %+v, error %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}
