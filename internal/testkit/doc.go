// Package testkit holds, in its subfolders, what only tests import: servers and doubles started
// for a test (chtest's fresh ClickHouse database, chcluster's fresh database on a local ClickHouse
// cluster, chdbtest's current ClickHouse inside the test process, plugintest's datasource plugin,
// grafanadouble's Grafana HTTP API, browsertest's headless Chromium, tlstest's server
// certificates, freeport's free TCP port), shared test data and readers (tenanttest's seeded assessments and agency
// databases, scorecardtest's look-ups in a scorecard, assessjson's reading of a closed quarter's
// JSON) and repository checks (depcheck). Production code never imports them; it lives in
// internal/ beside this folder.
package testkit
