package mockllm

import "net/http"

type anthropicAPI struct{ openaiFormat }

func (anthropicAPI) matches(*http.Request) bool { return false }

func (anthropicAPI) authorize(*Server, *http.Request, []byte) (failure, bool) {
	return failure{}, false
}

func (anthropicAPI) serve(*Server, http.ResponseWriter, *http.Request, []byte) error { return nil }
