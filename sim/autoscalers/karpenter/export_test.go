package karpenter

// HideFirst makes c's simulations hide the candidates' pods before the
// mayHold bound, as they all did before the bound could answer first.
func HideFirst(c *Controller) { c.hideFirst = true }
