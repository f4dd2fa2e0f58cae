"""Lustre HSM action stream: Python API for the per-MDT Redis streams (``hsm:actions:<mdt>``)
written by ``hsm-action-shipper``. The reader itself is the C++ consumer library; see
:mod:`lustre_hsm_action_stream.consumer`."""

__version__ = "@PROJECT_VERSION@"
