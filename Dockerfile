# The pipeline's own services (worker, indexer, search API) in one image; the command picks the role.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
COPY requirements.lock pyproject.toml README.md ./
RUN pip install --no-cache-dir -r requirements.lock
COPY foundation ./foundation
COPY clients ./clients
COPY encoders ./encoders
COPY scholarstream ./scholarstream
COPY evaluation ./evaluation
COPY producers ./producers
COPY stream_processors ./stream_processors
COPY indexers ./indexers
COPY schemas ./schemas
COPY stack ./stack
COPY samples ./samples
RUN pip install --no-cache-dir --no-deps .
USER nobody
ENV SCHOLARSTREAM_DATA_DIR=/tmp/scholarstream
CMD ["scholarstream", "--help"]
