package main

import (
	"strings"
	"testing"
)

func TestTargetsSendEqualSizeBodiesDifferingOnlyInModel(t *testing.T) {
	for _, stream := range []bool{false, true} {
		direct, gw := chatBody(upstreamModel, stream), chatBody(gatewayModel, stream)
		if len(direct) != len(gw) {
			t.Errorf("stream=%v: body sizes direct %d, sluice %d; want equal", stream, len(direct), len(gw))
		}
		if got := strings.Replace(string(gw), gatewayModel, upstreamModel, 1); got != string(direct) {
			t.Errorf("stream=%v: bodies differ beyond the model name:\n%s\n%s", stream, direct, gw)
		}
		if strings.Contains(string(direct), `"stream":true`) != stream {
			t.Errorf("stream=%v: body %s", stream, direct)
		}
	}
}
