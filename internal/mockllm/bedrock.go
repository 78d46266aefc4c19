package mockllm

import "net/http"

type bedrockAPI struct{ openaiFormat }

func (bedrockAPI) matches(*http.Request) bool { return false }

func (bedrockAPI) authorize(*Server, *http.Request, []byte) (failure, bool) { return failure{}, false }

func (bedrockAPI) serve(*Server, http.ResponseWriter, *http.Request, []byte) error { return nil }
