// Package t38 will hold ITU-T T.38 fax over IP: the IFP codec, UDPTL with
// redundancy and FEC, the T.38 terminal and the audio/T.38 gateway.
package t38
