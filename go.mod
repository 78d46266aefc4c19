module github.com/sluicehq/sluice

go 1.26.8

require (
	github.com/go-json-experiment/json v1.27.2
	go.yaml.in/yaml/v3 v3.0.6
)
