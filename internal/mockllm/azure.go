package mockllm

import "net/http"

type azureAPI struct{ openaiFormat }

func (azureAPI) matches(*http.Request) bool { return false }

func (azureAPI) authorize(*Server, *http.Request, []byte) (failure, bool) { return failure{}, false }

func (azureAPI) serve(*Server, http.ResponseWriter, *http.Request, []byte) error { return nil }
