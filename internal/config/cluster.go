package config

import (
	"net/url"
	"strings"
)

// DefaultSubjectPrefix is the first token of every NATS subject Sluice uses.
const DefaultSubjectPrefix = "sluice"

// Cluster is the optional NATS control plane between nodes that share a PostgreSQL store.
// It only shortens how long a change or another node's spend takes to arrive: without it
// (empty NATSURL) nodes converge by polling the store every store.sync_interval, and with it
// they still poll, since NATS may lose messages.
type Cluster struct {
	// NATSURL is the NATS server, e.g. nats://127.0.0.1:4222; a comma-separated list names
	// several servers of one cluster. Empty: polling only.
	NATSURL string `yaml:"nats_url"`
	// SubjectPrefix is the first token of the subjects, <prefix>.changes and <prefix>.spend,
	// so several deployments can share a NATS server. Default sluice.
	SubjectPrefix string `yaml:"subject_prefix"`
	// NodeName names this node in logs and readiness details. Default: the host name.
	NodeName string `yaml:"node_name"`
}

// Enabled reports whether a NATS URL is configured.
func (c Cluster) Enabled() bool { return c.NATSURL != "" }

func (c *Config) clusterDefaults() {
	setDefault(&c.Cluster.SubjectPrefix, DefaultSubjectPrefix)
}

func (c *Config) validateCluster(src *Source, ps *Problems) {
	cl := &c.Cluster
	if cl.NATSURL != "" {
		for _, s := range strings.Split(cl.NATSURL, ",") {
			u, err := url.Parse(strings.TrimSpace(s))
			switch {
			case err != nil:
				ps.Add(src, "cluster.nats_url", "invalid URL %q: %v", s, err)
			case u.Scheme != "nats" && u.Scheme != "tls" && u.Scheme != "ws" && u.Scheme != "wss":
				ps.Add(src, "cluster.nats_url", "%q: scheme must be nats, tls, ws or wss", s)
			case u.Host == "":
				ps.Add(src, "cluster.nats_url", "%q: missing host", s)
			}
		}
	}
	if !validSubjectPrefix(cl.SubjectPrefix) {
		ps.Add(src, "cluster.subject_prefix", "%q is not a NATS subject prefix: dot-separated non-empty tokens without spaces, * or >", cl.SubjectPrefix)
	}
	if strings.ContainsAny(cl.NodeName, " \t\r\n") {
		ps.Add(src, "cluster.node_name", "must not contain whitespace")
	}
}

func validSubjectPrefix(p string) bool {
	if p == "" {
		return false
	}
	for _, tok := range strings.Split(p, ".") {
		if tok == "" || strings.ContainsAny(tok, " \t\r\n*>") {
			return false
		}
	}
	return true
}
