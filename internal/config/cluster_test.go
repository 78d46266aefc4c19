package config

import (
	"strings"
	"testing"
)

func TestClusterIsOffByDefaultAndValidatesWithPaths(t *testing.T) {
	cfg, _, err := Parse([]byte("{}\n"), "t.yaml", env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cl := cfg.Cluster; cl.Enabled() || cl.SubjectPrefix != "sluice" {
		t.Errorf("default cluster = %+v, want disabled with prefix sluice", cl)
	}
	in := "cluster: {nats_url: 'nats://127.0.0.1:4222, nats://10.0.0.2:4222', subject_prefix: prod.sluice, node_name: gw-1}\n"
	cfg, _, err = Parse([]byte(in), "t.yaml", env(nil))
	if err != nil || !cfg.Cluster.Enabled() || cfg.Cluster.SubjectPrefix != "prod.sluice" || cfg.Cluster.NodeName != "gw-1" {
		t.Errorf("Parse(%q) = %+v, %v", in, cfg.Cluster, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"cluster: {nats_url: 'http://x:4222'}\n", "cluster.nats_url"},
		{"cluster: {nats_url: 'nats://'}\n", "cluster.nats_url"},
		{"cluster: {nats_url: 'nats://x', subject_prefix: 'a..b'}\n", "cluster.subject_prefix"},
		{"cluster: {nats_url: 'nats://x', subject_prefix: 'a.*'}\n", "cluster.subject_prefix"},
		{"cluster: {nats_url: 'nats://x', node_name: 'a b'}\n", "cluster.node_name"},
	} {
		if _, _, err := Parse([]byte(tc.in), "t.yaml", env(nil)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want a problem at %s", tc.in, err, tc.want)
		}
	}
	if _, _, err = Parse([]byte("cluster: {nats: x}\n"), "t.yaml", env(nil)); err == nil {
		t.Errorf("an unknown cluster field was accepted")
	}
}
