# syntax=docker/dockerfile:1
# The operator image (sdk-and-ops.md C.7): build in one stage, run from a slim, non-root second stage.
#   docker build -t training-operator:v0.1.0 .
#   docker build --build-arg CONTROLLERS=pytorch,tf -t training-operator:pytorch-tf .
# CONTROLLERS picks the framework extras (tf, pytorch, mxnet, xgboost, mpi); the image serves exactly those.
# tests/image/test_dockerfile_recipe.py repeats these install steps in a fresh venv without docker.
ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS builder
ARG CONTROLLERS=tf,pytorch,mxnet,xgboost,mpi
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# project metadata first, so the dependency layer is cached while only sources change
COPY packages/training-core/pyproject.toml packages/training-core/README.md packages/training-core/
COPY packages/unified-operator/pyproject.toml packages/unified-operator/README.md packages/unified-operator/
COPY packages/ packages/
# a self-contained venv, copied whole into the runtime stage (the wheels' file:// references to sibling
# packages only resolve here, so the runtime stage never runs pip)
RUN python -m venv /opt/training-operator \
 && /opt/training-operator/bin/pip install "./packages/unified-operator[${CONTROLLERS}]" \
 && /opt/training-operator/bin/training-operator version

FROM python:${PYTHON_VERSION}-slim
ARG VERSION=0.1.0
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
