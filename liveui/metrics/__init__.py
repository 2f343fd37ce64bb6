"""What a node reports about itself: `readings` turns the parts' plain counts into metric
families; `prometheus` serves them as `/metrics` (the optional `liveui[metrics]` extra);
`report` prints them for `liveui stats`. It reads every layer and nothing imports it but the
package root and the command line. Import the public names from `liveui`.
"""
