package live

// DefaultSpeed is the speed every interactive face (tui, web, serve)
// starts at unless told otherwise: five virtual seconds per wall second,
// so the node-failure story (detection at 50 s, eviction after 300 s)
// plays in about a minute and a half while each step stays watchable.
const DefaultSpeed = 5.0
