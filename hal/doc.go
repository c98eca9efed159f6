// Package hal will hold the hardware abstraction for telephony channels:
// the Channel and Driver interfaces, the sim and dahdi drivers, card
// discovery and the channel scheduler.
package hal
