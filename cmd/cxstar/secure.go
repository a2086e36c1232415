package main

import (
	"flag"
	"net/url"
	"os"
	"strconv"

	"github.com/cxstar/cxstar/internal/secret"
	"github.com/cxstar/cxstar/internal/store"
)

// chDSNFlags builds the ClickHouse DSN from --clickhouse and the TLS/password flags beside it:
// each of those flags adds its DSN parameter, so that every command passes one string to
// store.Open. The composed DSN is kept in out, current after each flag is set.
type chDSNFlags struct {
	base  string
	extra url.Values
	out   *string
}

func (c *chDSNFlags) compose() {
	if c == nil || c.out == nil {
		return
	}
	u, err := url.Parse(c.base)
	if err != nil || len(c.extra) == 0 {
		*c.out = c.base // store.Options reports a DSN it cannot parse
		return
	}
	q := u.Query()
	for k, v := range c.extra {
		switch {
		case k == "password" && (q.Get("password") != "" || hasUserPassword(u)):
			continue // the DSN's own password wins over CXSTAR_CLICKHOUSE_PASSWORD
		case k == "secure" && q.Has("secure"):
			continue
		}
		q[k] = v
	}
	u.RawQuery = q.Encode()
	*c.out = u.String()
}

func hasUserPassword(u *url.URL) bool {
	if u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// String shows the DSN without its password (it is the --help default).
func (c *chDSNFlags) String() string {
	if c == nil {
		return ""
	}
	return secret.DSN(c.base)
}

func (c *chDSNFlags) Set(s string) error {
	secret.RegisterDSN(s)
	c.base = s
	c.compose()
	return nil
}

// param returns a flag.Value that sets DSN parameter name (and secure=true when tls).
func (c *chDSNFlags) param(name string, tls bool) flag.Value {
	return funcValue(func(v string) error {
		if v == "" {
			c.extra.Del(name)
		} else {
			c.extra.Set(name, v)
			if tls {
				c.extra.Set("secure", "true")
			}
		}
		c.compose()
		return nil
	})
}

type funcValue func(string) error

func (f funcValue) Set(s string) error { return f(s) }
func (f funcValue) String() string     { return "" }

// clickhouseDSNFlags defines --NAME (the DSN, env ENV) and the connection flags around it:
// --NAME-secure, --NAME-ca-file, --NAME-cert-file, --NAME-key-file, --NAME-server-name and
// --NAME-password-file, each with an ENV_… fallback; ENV_PASSWORD gives the password when the
// DSN has none. It returns the composed DSN, read after fs.Parse.
func clickhouseDSNFlags(fs *flagSet, name, env, def, usage string) *string {
	c := &chDSNFlags{base: def, extra: url.Values{}, out: new(string)}
	if v, ok := os.LookupEnv(env); ok {
		secret.RegisterDSN(v)
		c.base = v
	}
	fs.Var(c, name, usage+" (env "+env+")")
	params := []struct {
		flag, param string
		tls         bool
		usage       string
	}{
		{"ca-file", store.ParamCAFile, true, "PEM `file` of the CA that signed the ClickHouse server's certificate (implies TLS; default: the system's roots)"},
		{"cert-file", store.ParamCertFile, true, "PEM client certificate `file` for mutual TLS with ClickHouse (with --" + name + "-key-file)"},
		{"key-file", store.ParamKeyFile, true, "PEM private key `file` of --" + name + "-cert-file"},
		{"server-name", "tls_server_name", true, "`name` to verify in the ClickHouse server's certificate (default: the DSN's host)"},
		{"password-file", store.ParamPasswordFile, false, "`file` holding the ClickHouse password (env " + env + "_PASSWORD gives it directly; never put it on the command line)"},
	}
	for _, p := range params {
		fenv := env + "_" + envSuffix(p.flag)
		v := c.param(p.param, p.tls)
		setFromEnv(fs, v, name+"-"+p.flag, fenv, "a file or a name")
		fs.Var(v, name+"-"+p.flag, p.usage+" (env "+fenv+")")
	}
	secure := funcValue(func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		if b {
			c.extra.Set("secure", "true")
		} else {
			c.extra.Del("secure")
		}
		c.compose()
		return nil
	})
	setFromEnv(fs, secure, name+"-secure", env+"_SECURE", "true or false")
	fs.Var(boolFunc{secure}, name+"-secure", "TLS to ClickHouse on the server's tcp_port_secure (often 9440); the CA, certificate and server-name flags imply it (env "+env+"_SECURE)")
	if pw := os.Getenv(env + "_PASSWORD"); pw != "" {
		secret.Register(pw)
		c.extra.Set("password", pw)
	}
	c.compose()
	return c.out
}

// boolFunc is a funcValue usable as a boolean flag (--x means --x=true).
type boolFunc struct{ funcValue }

func (boolFunc) IsBoolFlag() bool { return true }

func envSuffix(flagName string) string {
	b := []byte(flagName)
	for i, ch := range b {
		switch {
		case ch == '-':
			b[i] = '_'
		case ch >= 'a' && ch <= 'z':
			b[i] = ch - 'a' + 'A'
		}
	}
	return string(b)
}
