package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
)

// PluginID is the Grafana plugin id of the ClickHouse datasource the dashboards query.
const PluginID = "grafana-clickhouse-datasource"

// DatasourceUID is the uid of the ClickHouse datasource in every organization cxstar manages; the
// same uid in each organization lets one dashboard JSON serve every agency.
const DatasourceUID = "cxstar-clickhouse"

// Query formats of the ClickHouse datasource plugin (numeric in plugin v1, as sqlds expects).
const (
	FormatTimeSeries = 0
	FormatTable      = 1
	FormatLogs       = 2
)

// ClickHouseQuery is a panel target of the grafana-clickhouse-datasource plugin. The foundation SDK
// has no ClickHouse query type, so this is the custom dataquery. Fields follow plugin v1 (rawSql,
// numeric format) and carry v4's editorType/queryType too, so newer plugins open the panels.
type ClickHouseQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	RawSQL     string                `json:"rawSql"`
	Format     int                   `json:"format"`
	EditorType string                `json:"editorType,omitempty"`
	QueryType  string                `json:"queryType,omitempty"`
}

// ImplementsDataqueryVariant marks ClickHouseQuery as a dataquery for the foundation SDK.
func (ClickHouseQuery) ImplementsDataqueryVariant() {}

// DataqueryType returns the datasource plugin id.
func (ClickHouseQuery) DataqueryType() string { return PluginID }

// Equals reports whether other is the same ClickHouse query.
func (q ClickHouseQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(ClickHouseQuery)
	if !ok {
		return false
	}
	same := q.RefID == o.RefID && q.RawSQL == o.RawSQL && q.Format == o.Format &&
		q.EditorType == o.EditorType && q.QueryType == o.QueryType
	if !same || (q.Datasource == nil) != (o.Datasource == nil) {
		return false
	}
	if q.Datasource == nil {
		return true
	}
	return deref(q.Datasource.Uid) == deref(o.Datasource.Uid) && deref(q.Datasource.Type) == deref(o.Datasource.Type)
}

// Validate checks that the query has a refId, SQL, a known format and query type, and, when it
// names a datasource, that it is a ClickHouse one.
func (q ClickHouseQuery) Validate() error {
	if q.RefID == "" {
		return errors.New("ClickHouse query has no refId")
	}
	if q.RawSQL == "" {
		return errors.New("ClickHouse query has no rawSql")
	}
	if q.Format != FormatTable && q.Format != FormatTimeSeries && q.Format != FormatLogs {
		return fmt.Errorf("ClickHouse query format %d: must be 0 (time series), 1 (table) or 2 (logs)", q.Format)
	}
	if q.QueryType != "" && q.QueryType != "sql" {
		return fmt.Errorf("ClickHouse query type %q: only sql is written", q.QueryType)
	}
	if q.EditorType != "" && q.EditorType != "sql" && q.EditorType != "builder" {
		return fmt.Errorf("ClickHouse editor type %q: must be sql or builder", q.EditorType)
	}
	if q.Datasource != nil && q.Datasource.Type != nil && *q.Datasource.Type != PluginID {
		return fmt.Errorf("ClickHouse query on a datasource of type %q", *q.Datasource.Type)
	}
	return nil
}

// clickHouseQueryKeys are the JSON keys of ClickHouseQuery.
var clickHouseQueryKeys = map[string]bool{"refId": true, "datasource": true, "rawSql": true, "format": true, "editorType": true, "queryType": true}

// ClickHouseQueryVariant describes ClickHouseQuery to the foundation SDK's runtime, so that
// dashboard JSON read back with dashboard.Dashboard's UnmarshalJSON or UnmarshalJSONStrict gets
// ClickHouseQuery targets: register it with cog.NewRuntime().RegisterDataqueryVariant. The
// strict decoder rejects unknown fields and runs Validate.
func ClickHouseQueryVariant() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: PluginID,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q ClickHouseQuery
			err := json.Unmarshal(raw, &q)
			return q, err
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			// encoding/json matches keys case-insensitively; Grafana and the plugin's front end
			// do not: check the keys exactly first.
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(raw, &keys); err != nil {
				return nil, fmt.Errorf("ClickHouse query: %w", err)
			}
			for k := range keys {
				if !clickHouseQueryKeys[k] {
					return nil, fmt.Errorf("ClickHouse query: unknown field %q", k)
				}
			}
			var q ClickHouseQuery
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("ClickHouse query: %w", err)
			}
			return q, q.Validate()
		},
	}
}

// Build returns the query itself, so a ClickHouseQuery is a cog.Builder for panel targets.
func (q ClickHouseQuery) Build() (variants.Dataquery, error) {
	return q, q.Validate()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func dsRef(uid string) common.DataSourceRef {
	t := PluginID
	return common.DataSourceRef{Type: &t, Uid: &uid}
}

func chQuery(refID, sql string, format int, dsUID string) ClickHouseQuery {
	ref := dsRef(dsUID)
	return ClickHouseQuery{RefID: refID, Datasource: &ref, RawSQL: sql, Format: format, EditorType: "sql", QueryType: "sql"}
}
