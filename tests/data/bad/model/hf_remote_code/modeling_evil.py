raise RuntimeError("remote code from hf_remote_code was executed: trust_remote_code must never be implied")
