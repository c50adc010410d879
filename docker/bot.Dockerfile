# The bot: one image for the Rasa server and the action server (different commands in compose).
FROM python:3.10-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PYTHONPATH=/app:/app/bot
WORKDIR /app
COPY requirements/bot.lock requirements/bot.lock
RUN pip install -r requirements/bot.lock
COPY kb kb
COPY mostrador mostrador
# The business file the backend reads too: the action server takes names, texts and formats from it.
COPY ticketing/data/demo_business.yml ticketing/data/demo_business.yml
COPY kb_articles kb_articles
COPY bot bot
WORKDIR /app/bot
# The model is trained into the image, so every replica serves the same one.
RUN rasa train --fixed-model-name mostrador --out models
RUN useradd --system --home /app mostrador && chown -R mostrador /app
USER mostrador
EXPOSE 5005 5055
CMD ["rasa", "run", "--enable-api", "--port", "5005", "--endpoints", "endpoints.compose.yml", "--credentials", "credentials.yml", "--model", "models/mostrador.tar.gz"]
