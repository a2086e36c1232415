package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// PipelineUID is the uid of the dashboard of the pipeline's own metrics.
const PipelineUID = "cxstar-pipeline"

// PrometheusUID is the default uid of the Prometheus datasource that scrapes `cxstar ingest`.
const PrometheusUID = "cxstar-prometheus"

// PipelinePanel is one panel of the pipeline dashboard: a PromQL expression on the metrics
// `cxstar ingest` exports (deploy/prometheus has the alerting rules on the same metrics).
type PipelinePanel struct {
	TitleRU, TitleEN, Expr, Legend, Unit string
}

// PipelinePanels lists the pipeline dashboard's panels.
var PipelinePanels = []PipelinePanel{
	{"Принято сообщений, в секунду", "Messages consumed per second", `sum by (instance) (rate(cxstar_kafka_consumed_messages_total[5m]))`, "{{instance}}", "ops"},
	{"Отклонено (dead letter), в секунду", "Messages rejected (dead letter) per second", `sum by (instance) (rate(cxstar_kafka_rejected_messages_total[5m]))`, "{{instance}}", "ops"},
	{"Записано событий, в секунду", "Events inserted per second", `sum by (instance) (rate(cxstar_kafka_inserted_events_total[5m]))`, "{{instance}}", "ops"},
	{"Отставание потребителя, сообщений", "Consumer lag, messages", `sum by (instance) (cxstar_kafka_consumer_lag)`, "{{instance}}", "short"},
	{"Повторы и ошибки записи", "Insert retries and commit errors", `sum by (instance) (rate(cxstar_insert_retries_total[5m])) + sum by (instance) (rate(cxstar_kafka_commit_errors_total[5m]))`, "{{instance}}", "ops"},
	{"Запись в ClickHouse, p99", "ClickHouse insert, p99", `histogram_quantile(0.99, sum by (le, instance) (rate(cxstar_insert_duration_seconds_bucket[5m])))`, "{{instance}}", "s"},
	{"Куча Go / лимит памяти", "Go heap / memory limit", `go_memstats_heap_alloc_bytes / go_gc_gomemlimit_bytes`, "{{instance}}", "percentunit"},
	{"Перебалансировки группы", "Consumer group rebalances", `sum by (instance) (increase(cxstar_kafka_generations_total[1h]))`, "{{instance}}", "short"},
}

// PipelineDashboard builds the dashboard of the pipeline's own metrics for the Project Office,
// on the Prometheus datasource promUID (PrometheusUID when empty).
func PipelineDashboard(promUID string, opts ...Option) (dashboard.Dashboard, error) {
	o := newOptions(opts)
	if promUID == "" {
		promUID = PrometheusUID
	}
	typ := "prometheus"
	ref := common.DataSourceRef{Type: &typ, Uid: &promUID}
	title := "cxstar: конвейер данных"
	if o.lang == EN {
		title = "cxstar: data pipeline"
	}
	b := dashboard.NewDashboardBuilder(title).Uid(PipelineUID).Tags([]string{"cxstar", "pipeline"}).Timezone("browser").
		Time("now-6h", "now").Refresh("1m").Readonly()
	for i, p := range PipelinePanels {
		t := p.TitleRU
		if o.lang == EN {
			t = p.TitleEN
		}
		b = b.WithPanel(timeseries.NewPanelBuilder().Title(t).Unit(p.Unit).Datasource(ref).GridPos(pos(uint32(i%2)*12, uint32(i/2)*8, 12, 8)).
			WithTarget(prometheus.NewDataqueryBuilder().RefId("A").Datasource(ref).Expr(p.Expr).LegendFormat(p.Legend).Range()))
	}
	return numbered(b.Build())
}
