package team

import (
	"context"
	"net/url"
)

// MaxProfileImageURLLength bounds the picture claim the service records.
const MaxProfileImageURLLength = 2048

type pictureKey struct{}

// WithCallerPicture returns a context carrying the caller's token picture
// claim, as the authenticating layer read it. The picture travels in the
// context rather than as a parameter because every operation's
// authorisation step consumes it, as it consumes the caller; a claim that
// is not an acceptable URL (ProfileImageURL) is ignored.
func WithCallerPicture(ctx context.Context, claim string) context.Context {
	return context.WithValue(ctx, pictureKey{}, ProfileImageURL(claim))
}

// callerPicture returns the acceptable picture of the context, or "".
func callerPicture(ctx context.Context) string {
	s, _ := ctx.Value(pictureKey{}).(string)
	return s
}

// ProfileImageURL returns claim when it is an absolute https URL of at
// most MaxProfileImageURLLength characters, and "" otherwise: a page shows
// the URL as an image source, so nothing but https from a host is kept.
func ProfileImageURL(claim string) string {
	if claim == "" || len(claim) > MaxProfileImageURLLength {
		return ""
	}
	u, err := url.Parse(claim)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return ""
	}
	return claim
}
