"""The process kubelet: pods bound to the local node run as local processes."""

from training_operator.local.kubelet.kubelet import Kubelet

__all__ = ["Kubelet"]
