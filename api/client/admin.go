package client

import (
	"context"
	"fmt"
	"net/url"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/wire"
)

// CreateCredential makes an API credential (roles sender, receiver,
// auditor; never admin) and returns it with its secret, shown this once.
func (c *Client) CreateCredential(ctx context.Context, name string, roles ...auth.Role) (*wire.CredentialView, error) {
	var v wire.CredentialView
	if err := c.call(ctx, "POST", "/v1/admin/credentials", wire.NewCredential{Name: name, Roles: roles}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// CreateUser makes a user of the account (a login, of any roles, admin
// included) and returns it with its one-time password (in Secret), shown
// this once: the user's first login must change it.
func (c *Client) CreateUser(ctx context.Context, name string, roles ...auth.Role) (*wire.CredentialView, error) {
	var v wire.CredentialView
	if err := c.call(ctx, "POST", "/v1/admin/users", wire.NewCredential{Name: name, Roles: roles}, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// Credentials lists the account's credentials, secrets not included.
func (c *Client) Credentials(ctx context.Context) ([]wire.CredentialView, error) {
	resp, err := c.do(ctx, request{method: "GET", path: "/v1/admin/credentials"})
	if err != nil {
		return nil, err
	}
	var out wire.CredentialList
	return out.Credentials, decode("GET", "/v1/admin/credentials", resp, &out)
}

// DeleteCredential removes a credential of the account (not the one the
// client logs in with).
func (c *Client) DeleteCredential(ctx context.Context, name string) error {
	return c.call(ctx, "DELETE", "/v1/admin/credentials/"+url.PathEscape(name), nil, nil)
}

// NetworkRules returns the account's network rules: the prefixes
// requests may come from, "192.0.2.0/24, ::1".
func (c *Client) NetworkRules(ctx context.Context) (string, error) {
	var b wire.NetworkRulesBody
	err := c.call(ctx, "GET", "/v1/admin/network-rules", nil, &b)
	return b.Rules, err
}

// SetNetworkRules replaces the account's network rules, and returns them
// as the server reads them. Rules that would shut out the client's own
// address are refused (wrong_state).
func (c *Client) SetNetworkRules(ctx context.Context, rules string) (string, error) {
	var b wire.NetworkRulesBody
	err := c.call(ctx, "PUT", "/v1/admin/network-rules", wire.NetworkRulesBody{Rules: rules}, &b)
	return b.Rules, err
}

// Numbers returns the numbers whose received faxes go to the account's
// inbox.
func (c *Client) Numbers(ctx context.Context) ([]string, error) {
	var b wire.NumbersBody
	err := c.call(ctx, "GET", "/v1/admin/numbers", nil, &b)
	return b.Numbers, err
}

// SetNumbers replaces the account's numbers, and returns them as the
// server keeps them.
func (c *Client) SetNumbers(ctx context.Context, numbers []string) ([]string, error) {
	if numbers == nil {
		numbers = []string{}
	}
	var b wire.NumbersBody
	err := c.call(ctx, "PUT", "/v1/admin/numbers", wire.NumbersBody{Numbers: numbers}, &b)
	return b.Numbers, err
}

// NewWebhookSecret makes the account a new webhook signing secret, shown
// this once; the old one stops signing.
func (c *Client) NewWebhookSecret(ctx context.Context) (string, error) {
	var b wire.WebhookSecret
	if err := c.call(ctx, "POST", "/v1/admin/webhook-secret", nil, &b); err != nil {
		return "", err
	}
	if b.Secret == "" {
		return "", fmt.Errorf("%w: POST /v1/admin/webhook-secret: no secret", ErrResponse)
	}
	return b.Secret, nil
}
