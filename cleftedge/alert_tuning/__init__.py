"""Tune the alert policy on labelled sweeps: score every sweep once, replay a grid of policies on
the scores with the runtime's own AlertPolicy, choose by an explicit rule, write the policy with
its alarm delay and a record of the sweeps it was tuned on (so they are never the ones it is
judged on)."""
