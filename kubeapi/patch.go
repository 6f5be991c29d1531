package kubeapi

import (
	"errors"
	"fmt"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// maxJSONPatchOperations is upstream's bound on the operations of one
// JSON patch.
const maxJSONPatchOperations = 10000

// applyPatch applies a patch body of the given type to the JSON of the
// current object, with the libraries upstream's API server uses: RFC 6902
// JSON patch and RFC 7386 merge patch from evanphx/json-patch, strategic
// merge patch from apimachinery. dataStruct is the Go type strategic merge
// patch reads its merge keys from.
func applyPatch(typ types.PatchType, current, patch []byte, dataStruct any) ([]byte, error) {
	switch typ {
	case types.JSONPatchType:
		ops, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		if len(ops) > maxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf(
				"The allowed maximum operations in a JSON patch is %d, got %d", maxJSONPatchOperations, len(ops)))
		}
		out, err := ops.Apply(current)
		if err != nil {
			// A failed operation fails the whole patch: 422 with
			// upstream's generic message (it names no operation).
			return nil, apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
		}
		return out, nil
	case types.MergePatchType:
		out, err := jsonpatch.MergePatch(current, patch)
		if errors.Is(err, jsonpatch.ErrBadJSONPatch) {
			return nil, badRequest("%v", err)
		}
		return out, err
	case types.StrategicMergePatchType:
		out, err := strategicpatch.StrategicMergePatch(current, patch, dataStruct)
		if err != nil {
			return nil, badRequest("%v", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported patch type %q", typ)
}
