package nodelifecycle

// SetFullVisits makes every monitor visit a full one (true) or lets quiet
// nodes take quietVisit (false, the default); tests compare the two.
func SetFullVisits(full bool) { noQuietVisits = full }

// SetListEveryPass makes every monitor pass list the nodes (true) or
// lets a pass read them through the last pass's states while the node
// names stay the same (false, the default); tests compare the two.
func SetListEveryPass(list bool) { listEveryPass = list }
