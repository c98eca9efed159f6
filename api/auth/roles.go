package auth

import (
	"errors"
	"fmt"
	"slices"
)

// A Role is a set of permissions.
type Role string

// The roles (issue: admin, sender, receiver, auditor).
const (
	RoleAdmin    Role = "admin"    // accounts, users, credentials, network rules
	RoleSender   Role = "sender"   // submits faxes and follows them
	RoleReceiver Role = "receiver" // reads and acknowledges the inbox
	RoleAuditor  Role = "auditor"  // reads call records and the audit log
)

// An Action is something a request does.
type Action string

// The actions handlers check.
const (
	FaxSend     Action = "fax.send"
	FaxRead     Action = "fax.read"
	FaxCancel   Action = "fax.cancel"
	InboxRead   Action = "inbox.read"
	InboxAck    Action = "inbox.ack"
	CDRRead     Action = "cdr.read"
	AuditRead   Action = "audit.read"
	AdminManage Action = "admin.manage"
)

// grants is the whole table: an action not listed for a role is denied.
var grants = map[Role][]Action{
	RoleAdmin:    {AdminManage, CDRRead, AuditRead},
	RoleSender:   {FaxSend, FaxRead, FaxCancel},
	RoleReceiver: {InboxRead, InboxAck},
	RoleAuditor:  {CDRRead, AuditRead},
}

// ErrDenied is returned when no role of a caller allows an action.
var ErrDenied = errors.New("auth: not allowed")

// Allow returns nil when one of roles grants action, else ErrDenied
// wrapped with both.
func Allow(roles []Role, action Action) error {
	for _, r := range roles {
		if slices.Contains(grants[r], action) {
			return nil
		}
	}
	return fmt.Errorf("%w: %s for roles %v", ErrDenied, action, roles)
}

// ValidRole reports whether r is a role this package knows.
func ValidRole(r Role) bool { _, ok := grants[r]; return ok }
