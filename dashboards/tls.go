package dashboards

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/cxstar/cxstar/internal/store"
)

// datasourceTLS adds the TLS settings of the ClickHouse DSN (see store.TLSOf) to a datasource's
// jsonData and secureJsonData, in the keys of the ClickHouse datasource plugin: secure,
// tlsSkipVerify, tlsAuthWithCACert with tlsCACert, tlsAuth with tlsClientCert and tlsClientKey.
// pem gives the secureJsonData value of a PEM file: its content (push) or a reference Grafana
// resolves when it loads the provisioning file (render). The plugin checks the certificate
// against the datasource's server name, so tls_server_name cannot be carried over.
func datasourceTLS(ts store.TLSSettings, jd map[string]any, sec map[string]string, pem func(path string) (string, error)) error {
	if !ts.Secure {
		return nil
	}
	jd["secure"] = true
	if ts.SkipVerify {
		jd["tlsSkipVerify"] = true
	}
	h := sha256.New()
	add := func(key, path string) error {
		v, err := pem(path)
		if err != nil {
			return fmt.Errorf("Grafana datasource TLS setting %s: %w", key, err)
		}
		sec[key] = v
		h.Write([]byte(v))
		return nil
	}
	if ts.CAFile != "" {
		jd["tlsAuthWithCACert"] = true
		if err := add("tlsCACert", ts.CAFile); err != nil {
			return err
		}
	}
	if ts.CertFile != "" {
		jd["tlsAuth"] = true
		if err := add("tlsClientCert", ts.CertFile); err != nil {
			return err
		}
		if err := add("tlsClientKey", ts.KeyFile); err != nil {
			return err
		}
	}
	if ts.CAFile != "" || ts.CertFile != "" {
		// secureJsonData cannot be read back: a changed certificate shows in this hash instead.
		jd["cxstarTLSHash"] = hex.EncodeToString(h.Sum(nil))[:16]
	}
	return nil
}

// AddDatasourceTLS adds the TLS settings ts to the jsonData and secureJsonData of a datasource
// that Push writes (see DatasourceSettings): the CA and client certificate files are read and
// their content sent as secureJsonData.
func AddDatasourceTLS(ts store.TLSSettings, jsonData map[string]any, secureJSONData map[string]string) error {
	return datasourceTLS(ts, jsonData, secureJSONData, readPEM)
}

// readPEM returns the content of a PEM file, for secureJsonData pushed through the API.
func readPEM(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// filePEM returns Grafana's provisioning reference to a file, read when Grafana loads the YAML
// (the file must be readable by the Grafana server at that path).
func filePEM(path string) (string, error) { return "$__file{" + path + "}", nil }
