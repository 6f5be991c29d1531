package main
import (
 _ "k8s.io/api/core/v1"
 _ "k8s.io/api/apps/v1"
 _ "k8s.io/api/discovery/v1"
 _ "k8s.io/api/policy/v1"
 _ "k8s.io/api/coordination/v1"
 _ "k8s.io/apimachinery/pkg/api/resource"
 _ "k8s.io/apimachinery/pkg/labels"
 _ "k8s.io/apimachinery/pkg/util/validation"
 _ "k8s.io/apimachinery/pkg/api/validation"
 _ "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
 _ "k8s.io/apimachinery/pkg/util/strategicpatch"
 _ "sigs.k8s.io/yaml"
 _ "github.com/spf13/cobra"
 _ "github.com/stretchr/testify/require"
)
func main(){}
