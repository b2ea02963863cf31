# The pipeline image. Every component of the compiled pipeline runs in it (Vertex AI Pipelines
# or Kubeflow Pipelines v2), and so do the Dataflow workers (--sdk_container_image), so the
# project's modules are importable everywhere as components.* and pipeline.*.
#
#   docker build -t "$IMAGE_URI" . && docker push "$IMAGE_URI"
#   (or: gcloud builds submit --tag "$IMAGE_URI" .)
FROM gcr.io/tfx-oss-public/tfx:1.16.0

# The Beam SDK boot program, for Dataflow workers started from this image. Keep the version
# equal to the apache-beam installed in the base image:
#   docker run --rm --entrypoint python gcr.io/tfx-oss-public/tfx:1.16.0 \
#     -c "import apache_beam; print(apache_beam.__version__)"
ARG BEAM_VERSION=2.59.0
COPY --from=apache/beam_python3.10_sdk:${BEAM_VERSION} /opt/apache/beam /opt/apache/beam

WORKDIR /pipeline
COPY docker/requirements.txt /tmp/requirements.txt
RUN python -m pip install --no-cache-dir -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Only what runs inside components: no tests, data or benchmarks.
COPY pipeline/ ./pipeline/
COPY components/ ./components/
COPY schema/ ./schema/

ENV PYTHONPATH=/pipeline \
    TF_USE_LEGACY_KERAS=1

# Vertex and KFP set the command per task; Dataflow starts the Beam boot program.
ENTRYPOINT ["/opt/apache/beam/boot"]
