"""Words the actions build themselves (the rest are responses in domain.yml), in Spanish and English.

The business's own words (team names, the order-number format, the contact phone, the timezone) come from the
business file (`runtime.business()`); dates are written by Babel in the customer's language.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_timezone_location

from mostrador.ticket_numbers import ticket_number

MESSAGES = {
    "es": {
        "read_more": "Más detalles",
        "did_it_help": "¿Te sirvió esta respuesta?",
        "suggest": "No estoy seguro de haber entendido. ¿Te refieres a alguno de estos temas?",
        "decline": "No encontré una respuesta a eso en nuestra ayuda. ¿Quieres que abra un ticket para que te responda una persona?",
        "open_ticket": "Abrir un ticket",
        "talk_to_person": "Hablar con una persona",
        "yes": "Sí",
        "no": "No",
        "invalid_name": "No me quedó claro tu nombre. ¿Cómo te llamas?",
        "invalid_email": 'Ese correo no parece válido (por ejemplo: nombre@dominio.cl). ¿Me lo escribes de nuevo? Si no tienes, escribe "saltar".',
        "invalid_phone": "Ese teléfono no parece válido. Escríbelo con código de país, por ejemplo +56 9 1234 5678.",
        "need_contact": "Necesito al menos un correo o un teléfono para que te puedan responder.",
        "invalid_order": 'Los números de pedido son como {order_example} ({min_digits} a {max_digits} dígitos). ¿Me lo revisas? Si no lo tienes, escribe "saltar".',
        "order_keep_or_skip": 'Sigo sin reconocer ese número: los nuestros son como {order_example}. ¿Lo guardo tal como lo escribiste ("{order}") para que lo revise una persona, o lo saltamos?',
        "order_keep": "Guardar así",
        "order_skip": "Saltar",
        "invalid_description": "Cuéntame un poco más de lo que pasó, en una o dos frases.",
        "invalid_consent": "Necesito un sí o un no para seguir.",
        "no_consent": "Entendido: no guardaremos tus datos personales. Abriré el ticket sin ellos y te responderemos solo por este chat; también puedes llamarnos al {contact_phone}.",
        "ticket_failed": "No pude crear el ticket: {detail}. ¿Lo intentamos de nuevo?",
        "status_need_number": "¿Cuál es el número de tu ticket? Es algo como {ticket_example}.",
        # One answer for a number that does not exist and one that is someone else's: it tells neither apart.
        "status_not_found_or_not_yours": "No encuentro ese ticket entre los abiertos desde esta conversación o con tu correo. Por seguridad solo doy el estado a quien lo abrió: revisa el número o escríbeme el correo con que lo abriste.",
        "status": "Tu ticket {number} está {status}, con el equipo de {team}.",
        "status_due": " Te responderemos a más tardar el {due}.",
        "status_answered": " Ya te respondimos; revisa este chat o tu correo.",
        "statuses": {
            "new": "recibido",
            "open": "en curso",
            "pending": "esperando tu respuesta",
            "resolved": "resuelto",
            "closed": "cerrado",
        },
        "backend_down_status": "No puedo consultar el estado ahora mismo; nuestro sistema no responde. Inténtalo en unos minutos.",
        "relay_failed": "No pude pasarle tu mensaje a la persona que te atiende; nuestro sistema no responde. Inténtalo en un momento.",
        "relay_received": "Listo, se lo pasé a la persona que atiende tu ticket {ticket}. Te responderá por aquí.",
        "relay_closed": "Tu ticket ya está cerrado, así que volví a atenderte yo. ¿En qué te ayudo?",
        "resolved": "Tu ticket {number} quedó resuelto. Del 1 al 5, ¿cómo evaluarías la atención? (puedes agregar un comentario)",
        "csat_thanks": "¡Gracias por tu evaluación! ¿Te ayudo con algo más?",
        "csat_thanks_ask_why": "¡Gracias por tu evaluación! Si quieres contarnos por qué, escríbelo en un mensaje; o dime en qué más te ayudo.",
        "csat_comment_thanks": "Gracias, se lo dejé a nuestro equipo junto a tu evaluación. ¿Te ayudo con algo más?",
        "confirm_name": "Voy a abrir un ticket para que te atienda una persona. ¿Te registro como {name}? Si no, escríbeme tu nombre.",
        "confirm_phone": "¿Te contactamos a este mismo número, {phone}? Si prefieres otro, escríbelo.",
        "attachment_unreadable": "Por ahora solo puedo leer mensajes de texto: no puedo ver imágenes, audios, documentos ni ubicaciones. ¿Me lo cuentas por escrito?",
        "attachment_noted": "Recibí tu archivo y lo dejé en tu ticket {ticket} para la persona que te atiende.",
        "offer_person": "Parece que no te estoy entendiendo, disculpa. ¿Quieres que te atienda una persona?",
        "handoff_now": "Esto tiene que revisarlo una persona cuanto antes, así que no te daré una respuesta automática. "
        "Te pido unos datos y abro el ticket.",
    },
    "en": {
        "read_more": "More details",
        "did_it_help": "Did this answer help?",
        "suggest": "I'm not sure I understood. Do you mean one of these?",
        "decline": "I couldn't find an answer to that in our help center. Shall I open a ticket so a person can answer you?",
        "open_ticket": "Open a ticket",
        "talk_to_person": "Talk to a person",
        "yes": "Yes",
        "no": "No",
        "invalid_name": "I didn't catch your name. What should I call you?",
        "invalid_email": "That email doesn't look right (for example: name@domain.com). Could you type it again? If you don't have one, say \"skip\".",
        "invalid_phone": "That phone number doesn't look right. Please include the country code, for example +56 9 1234 5678.",
        "need_contact": "I need at least an email or a phone number so we can answer you.",
        "invalid_order": 'Order numbers look like {order_example} ({min_digits} to {max_digits} digits). Could you check it? If you don\'t have one, say "skip".',
        "order_keep_or_skip": 'I still don\'t recognise that number: ours look like {order_example}. Shall I keep it as you wrote it ("{order}") for a person to check, or skip it?',
        "order_keep": "Keep it as written",
        "order_skip": "Skip",
        "invalid_description": "Tell me a bit more about what happened, in a sentence or two.",
        "invalid_consent": "I need a yes or a no to go on.",
        "no_consent": "Understood: we won't store your personal details. I'll open the ticket without them and we'll answer only in this chat; you can also call us on {contact_phone}.",
        "ticket_failed": "I couldn't create the ticket: {detail}. Shall we try again?",
        "status_need_number": "What's your ticket number? It looks like {ticket_example}.",
        "status_not_found_or_not_yours": "I can't find that ticket among those opened from this conversation or with your email. For your security I only give a ticket's status to whoever opened it: check the number, or type the email you opened it with.",
        "status": "Your ticket {number} is {status}, with our {team} team.",
        "status_due": " We'll answer you by {due}.",
        "status_answered": " We've already answered; check this chat or your email.",
        "statuses": {
            "new": "received",
            "open": "in progress",
            "pending": "waiting for your reply",
            "resolved": "resolved",
            "closed": "closed",
        },
        "backend_down_status": "I can't check the status right now; our system isn't answering. Please try again in a few minutes.",
        "relay_failed": "I couldn't pass your message to the person helping you; our system isn't answering. Please try again in a moment.",
        "relay_received": "Done, I passed it on to the person handling your ticket {ticket}. They'll answer you here.",
        "relay_closed": "Your ticket is already closed, so I'm back to help you. What can I do for you?",
        "resolved": "Your ticket {number} has been resolved. From 1 to 5, how would you rate the help you got? (you can add a comment)",
        "csat_thanks": "Thanks for your rating! Anything else I can help with?",
        "csat_thanks_ask_why": "Thanks for your rating! If you'd like to tell us why, write it in one message; or tell me what else I can help with.",
        "csat_comment_thanks": "Thanks, I've passed it on to our team with your rating. Anything else I can help with?",
        "confirm_name": "I'll open a ticket so an agent can help you. Shall I put it under {name}? If not, type your name.",
        "confirm_phone": "Can we reach you at this same number, {phone}? If you prefer another one, type it.",
        "attachment_unreadable": "For now I can only read text messages: I can't see images, audio, documents or locations. Could you tell me in writing?",
        "attachment_noted": "I got your file and added it to your ticket {ticket} for the person helping you.",
        "offer_person": "Sorry, I don't seem to be understanding you. Would you like a person to help you?",
        "handoff_now": "A person needs to look at this as soon as possible, so I won't give you an automatic answer. "
        "I'll take a few details and open a ticket.",
    },
}


def language_of(value: str | None) -> str:
    return value if value in MESSAGES else "es"


def say(language: str, key: str, **values: str) -> str:
    """A message in the customer's language, with the business's own words filled in."""
    return MESSAGES[language_of(language)][key].format(**_business_words(), **values)


def _business_words() -> dict[str, object]:
    from actions import runtime  # the business file is read on first use, not at import

    facts = runtime.business()
    orders = facts.order_numbers
    return {
        "business": facts.name,
        "contact_phone": facts.contact_phone,
        "order_example": orders.example,
        "min_digits": orders.min_digits,
        "max_digits": orders.max_digits,
        "ticket_example": ticket_number(123),
    }


def response_words(language: str) -> dict[str, str]:
    """The business's words that the domain's responses name ({business}, {topics}), in the customer's language."""
    from actions import runtime

    facts = runtime.business()
    return {"business": facts.name, "topics": facts.topics(language_of(language))}


def team_name(language: str, team: str) -> str:
    from actions import runtime

    return runtime.business().team_name(language_of(language), team)


def when(language: str, moment: datetime, timezone: str) -> str:
    """A due date as a customer reads it: "martes 24 de noviembre a las 10:30", "Tuesday, November 24 at 10:30
    (Santiago time)" (an English reader may be anywhere: the zone is named)."""
    local = moment.astimezone(ZoneInfo(timezone))
    if language_of(language) == "es":
        return format_datetime(local, "EEEE d 'de' MMMM 'a las' HH:mm", locale="es")
    place = get_timezone_location(timezone, locale="en", return_city=True)
    written = format_datetime(local, "EEEE, MMMM d 'at' HH:mm", locale="en")
    return f"{written} ({place} time)"


def status_word(language: str, status: str) -> str:
    return MESSAGES[language_of(language)]["statuses"].get(status, status)
