module github.com/sluicehq/sluice

go 1.26.8

require (
	github.com/go-json-experiment/json v1.27.2
	github.com/openai/openai-go/v3 v3.96.0
	go.yaml.in/yaml/v3 v3.0.6
)

require (
	github.com/coder/websocket v1.8.15 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.1.1 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	golang.org/x/tools v0.52.0 // indirect
)
