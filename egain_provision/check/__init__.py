"""`check`: act as the Conversation Hub toward every callback the manifests declare, and report.

The flow, one client-application role at a time:

    manifests -> roles.py     every role with its callback, headers and declared authentication
              -> hosts.py     refuse, before anything is sent, a host that is not loopback or allowed
              -> hub.py       token from tokenRequestUrl read at accessTokenPath (tokenpath.py), or
                              basic; one `custom.` message; on 401 one fresh token and one retry
              -> report.py    per role: token reached, token found, callback 2xx in time, renewal
              -> render.py    text, json, markdown, github

It reads eGain's reference on its own (the sandbox's hub is another reading of it, tested against
this one) and never contacts the eGain tenant.
"""
