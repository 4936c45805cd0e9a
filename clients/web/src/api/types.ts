// Names for the generated OpenAPI types (src/api/schema.d.ts, `npm run gen:api`).
import type { components } from "./schema";

type S = components["schemas"];
export type EventSummary = S["EventDto"];
export type EventDetail = S["EventDetailDto"];
export type EventType = S["EventDto"]["event_type"];
export type Show = S["ShowDto"];
export type SeatClass = S["SeatClassDto"];
export type Seat = S["SeatDto"];
export type SeatStatus = S["SeatDto"]["status"];
export type Quote = S["QuoteDto"];
export type BookingItem = S["BookingItemDto"];
export type Booking = S["BookingDto"];
export type BookingStatus = S["BookingDto"]["status"];
export type Payment = S["PaymentDto"];
export type PaymentMethod = S["InitiatePayment"]["payment_method"];
export type User = S["UserDto"];
export type TokenPair = S["TokenDto"];
export type City = S["CityDto"];
export type Notification = S["NotificationDto"];
export type ImportResult = S["ImportResultDto"];
export type SeatMapSnapshot = S["SeatMapSnapshotDto"];
export type SeatMapChange = S["SeatMapChangeDto"];
export type ApiErrorBody = S["ErrorBody"];
export type CancellationQuote = S["CancellationQuoteDto"];
export type Category = S["CategoryDto"];
export type Service = S["ServiceDto"];
export type Slot = S["SlotDto"];
export type SlotList = S["SlotList"];
export type Appointment = S["AppointmentDto"];

/** A page of a list, as every list endpoint answers. */
export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}
