package nodelifecycle

// SetFullVisits makes every monitor visit a full one (true) or lets quiet
// nodes take quietVisit (false, the default); tests compare the two.
func SetFullVisits(full bool) { noQuietVisits = full }
