# syntax=docker/dockerfile:1
# The operator image (sdk-and-ops.md C.7): build in one stage, run from a slim, non-root second stage.
#   docker build -t training-operator:v0.2.0 .
#   docker build --build-arg CONTROLLERS=pytorch,tf -t training-operator:pytorch-tf .
# CONTROLLERS picks the framework extras (tf, pytorch, mxnet, xgboost, mpi, paddle, jax, or all); the image serves exactly
# those. The install steps live in image/install.sh, which CI runs too (tests/install/matrix.py).
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS builder
ARG CONTROLLERS=all
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHON=python
WORKDIR /src
COPY packages/ packages/
COPY image/install.sh image/install.sh
# a self-contained venv, copied whole into the runtime stage (the wheels' file:// references to sibling
# packages only resolve here, so the runtime stage never runs pip)
RUN sh image/install.sh /opt/training-operator "${CONTROLLERS}"

FROM python:${PYTHON_VERSION}-slim
ARG VERSION=0.2.0
LABEL org.opencontainers.image.source="https://github.com/kubeflow/training-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.title="training-operator"
COPY --from=builder /opt/training-operator /opt/training-operator
ENV PATH=/opt/training-operator/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
ENTRYPOINT ["training-operator"]
CMD ["run"]
