//! Partner webhooks: the address rule of their URLs (`webhook_url`), what a registration must
//! be, who hears of what, what a delivery says and how it is signed (`webhooks`), and the use
//! cases over mocks of their ports (`webhook_service`, the worker's fan-out and attempts).

mod rules;
mod service;
mod urls;
