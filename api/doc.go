// Package api will hold the HTTPS job API: authentication, message-level
// encryption and the job store.
package api
