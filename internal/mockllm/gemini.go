package mockllm

import "net/http"

type geminiAPI struct{ openaiFormat }

func (geminiAPI) matches(*http.Request) bool { return false }

func (geminiAPI) authorize(*Server, *http.Request, []byte) (failure, bool) { return failure{}, false }

func (geminiAPI) serve(*Server, http.ResponseWriter, *http.Request, []byte) error { return nil }
