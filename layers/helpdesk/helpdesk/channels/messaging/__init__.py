"""channels/messaging: WhatsApp, Messenger and Instagram, Twilio SMS and WhatsApp, the web chat widget."""
