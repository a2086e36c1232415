// Package depcheck holds the checks that keep modules the project may not use out of it. The
// Grafana server's module (github.com/grafana/grafana, every version and subpackage) is under
// the AGPL: it must not be a dependency, and no script or CI step may download, build or run it.
// The permissively licensed Grafana modules (the foundation SDK, the OpenAPI client, the plugin
// SDK, the ClickHouse datasource plugin) are different module paths and are allowed.
package depcheck

import "regexp"

// Forbidden is the module path of the Grafana server.
const Forbidden = "github.com/grafana/grafana"

// forbiddenRe matches Forbidden as a whole module path: followed by a subpackage, a version, a
// space, a quote or the end, never by more of a longer name (grafana-plugin-sdk-go).
var forbiddenRe = regexp.MustCompile(regexp.QuoteMeta(Forbidden) + `($|[^A-Za-z0-9._~-])`)

// Names reports whether text names the forbidden module (any version, any subpackage).
func Names(text string) bool { return forbiddenRe.MatchString(text) }
