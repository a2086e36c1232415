// Package official makes quarterly assessments official: closing a quarter stores its results as
// a numbered revision with a fingerprint of the inputs that produced them, and later reads print
// those values unchanged, with the differences a recomputation on today's data would bring.
package official
