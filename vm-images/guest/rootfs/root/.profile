# ~/.profile: login shells read this, then ~/.bashrc.
if [ -n "$BASH_VERSION" ] && [ -f "$HOME/.bashrc" ]; then
  . "$HOME/.bashrc"
fi
mesg n 2>/dev/null || true
