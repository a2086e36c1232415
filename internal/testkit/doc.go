// Package testkit holds, in its subfolders, what only tests import: servers and doubles started
// for a test (chtest's fresh ClickHouse database, chcluster's fresh database on a local ClickHouse
// cluster, chdbtest's current ClickHouse inside the test process, plugintest's datasource plugin,
// grafanadouble's Grafana HTTP API, browsertest's headless Chromium), shared test data
// (tenanttest's seeded assessments and tenancy clean-up) and repository checks (depcheck). Production code never imports them; it lives in internal/ beside this folder.
package testkit
